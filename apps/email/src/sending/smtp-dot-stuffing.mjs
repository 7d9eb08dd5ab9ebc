// nodemailer's dot-stuffing, fast for messages that need none. Plain ESM JavaScript, like the SMTP
// thread that installs it (smtp-thread.worker.mjs); spec: smtp-dot-stuffing.spec.ts.
import DataStream from 'nodemailer/lib/smtp-connection/data-stream.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/**
 * Whether `chunk` (a Buffer), following the byte `last` (false at the stream's start), is already as
 * SMTP's DATA carries it (RFC 5321 4.5.2): every line ends CRLF, no CR or LF stands alone, no line
 * starts with a dot. DataStream writes such a chunk unchanged. Found with Buffer's native search for
 * each CR and LF instead of a look at every byte.
 */
export function needsNoStuffing(chunk, last) {
  const length = chunk.length;
  const first = chunk[0];
  if (last === CR ? first !== LF : first === DOT && (last === LF || last === false)) return false;
  for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) {
    if ((at === 0 ? last : chunk[at - 1]) !== CR || chunk[at + 1] === DOT) return false;
  }
  // A CR that ends the chunk is checked against the next chunk's first byte (above, as `last`).
  for (let at = chunk.indexOf(CR); at !== -1 && at + 1 < length; at = chunk.indexOf(CR, at + 1)) {
    if (chunk[at + 1] !== LF) return false;
  }
  return true;
}

/**
 * Lets `Stream` (nodemailer's DataStream, which SMTPConnection puts every message through) pass a
 * chunk that needs no stuffing as it is; any other chunk goes through its own code. Its loop looks
 * at every byte in JavaScript: about a third of the SMTP thread's CPU on 9 KiB messages, against
 * two native searches here (18 µs → 4.5 µs a message in isolation). The output is nodemailer's,
 * byte for byte. Returns false, changing nothing, when `Stream` is not the DataStream this was
 * written against (its counters and last byte start otherwise).
 */
export function installFastDotStuffing(Stream = DataStream) {
  const prototype = Stream.prototype;
  if (prototype._transform.passesStuffedChunks) return true;
  const probe = new Stream();
  if (probe.lastByte !== false || probe.inByteCount !== 0 || probe.outByteCount !== 0) return false;
  const stuff = prototype._transform;
  const transform = function (chunk, encoding, done) {
    if (chunk && chunk.length > 0 && typeof chunk !== 'string' && needsNoStuffing(chunk, this.lastByte)) {
      this.inByteCount += chunk.length;
      this.outByteCount += chunk.length;
      this.push(chunk);
      this.lastByte = chunk[chunk.length - 1];
      return done();
    }
    return stuff.call(this, chunk, encoding, done);
  };
  transform.passesStuffedChunks = true;
  prototype._transform = transform;
  return true;
}
