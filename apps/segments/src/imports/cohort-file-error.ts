/** A cohort file cannot be read (not the format it claims, bad quoting, bad gzip): the import fails with this message. */
export class CohortFileError extends Error {
  override name = 'CohortFileError';
}
