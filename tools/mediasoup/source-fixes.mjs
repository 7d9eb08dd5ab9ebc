// Source fixes applied to a *copy* of node_modules/mediasoup/worker before it is
// built against Debian's system libraries (see README.md in this folder).
//
// Each fix is a plain search/replace on one file. Applying is idempotent: a fix
// whose replacement is already present is skipped, and a fix whose search text
// is missing fails loudly (that means mediasoup's sources changed and the fix
// must be reviewed for the new version).

import * as fs from 'node:fs';
import * as path from 'node:path';

/** @typedef {{ file: string, why: string, find: string | RegExp, replace: string, applied: string }} SourceFix */

/** @type {SourceFix[]} */
export const SOURCE_FIXES = [
  {
    file: 'meson.build',
    why: "Debian 12 ships meson 1.0.1; mediasoup asks for >= 1.1.0 but uses nothing newer",
    find: "meson_version: '>= 1.1.0'",
    replace: "meson_version: '>= 1.0.0'",
    applied: "meson_version: '>= 1.0.0'",
  },

  // --- libsrtp 3 (versatica fork, what 3.19 is written for) -> libsrtp 2.5 (Debian) ---
  {
    file: 'include/RTC/SrtpSession.hpp',
    why: 'libsrtp2 names it srtp_remove_stream()',
    find: 'srtp_stream_remove(this->session,',
    replace: 'srtp_remove_stream(this->session,',
    applied: 'srtp_remove_stream(this->session,',
  },
  {
    file: 'src/DepLibSRTP.cpp',
    why: 'srtp_err_status_buffer_small and srtp_err_status_cryptex_err do not exist in libsrtp2',
    find: /^[ \t]*\{ srtp_err_status_buffer_small,[^\n]*\n[ \t]*\{ srtp_err_status_cryptex_err,[^\n]*\n/m,
    replace: '\t// boomerang: libsrtp2 has no srtp_err_status_buffer_small / srtp_err_status_cryptex_err\n',
    applied: '// boomerang: libsrtp2 has no srtp_err_status_buffer_small',
  },
  {
    file: 'src/RTC/SrtpSession.cpp',
    why: 'libsrtp2 srtp_protect(ctx, buf, int* len) works in place: copy into the encrypt buffer first',
    find: /const srtp_err_status_t err = srtp_protect\(\s*\/\*srtp_t ctx\*\/ this->session,\s*\/\*const uint8_t\* rtp\*\/ \*data,\s*\/\*size_t rtp_len\*\/ \*len,\s*\/\*uint8_t\* srtp\*\/ encryptBuffer,\s*\/\*size_t\* srtp_len\*\/ std::addressof\(encryptLen\),\s*\/\*size_t mki_index\*\/ 0\);/,
    replace: [
      '// boomerang: libsrtp2 protects in place.',
      '\t\tstd::memcpy(encryptBuffer, *data, *len);',
      '\t\tint protectLen = static_cast<int>(*len);',
      '\t\tconst srtp_err_status_t err = srtp_protect(this->session, encryptBuffer, &protectLen);',
      '\t\tencryptLen = static_cast<size_t>(protectLen);',
    ].join('\n'),
    applied: 'srtp_protect(this->session, encryptBuffer, &protectLen)',
  },
  {
    file: 'src/RTC/SrtpSession.cpp',
    why: 'libsrtp2 srtp_unprotect(ctx, buf, int* len) works in place',
    find: /const srtp_err_status_t err = srtp_unprotect\(\s*\/\*srtp_t ctx\*\/ this->session,\s*\/\*const uint8_t\* srtp\*\/ data,\s*\/\*size_t srtp_len\*\/ \*len,\s*\/\*uint8_t\* rtp\*\/ data,\s*\/\*size_t\* rtp_len\*\/ std::addressof\(decryptLen\)\);/,
    replace: [
      '// boomerang: libsrtp2 unprotects in place.',
      '\t\tint unprotectLen = static_cast<int>(*len);',
      '\t\tconst srtp_err_status_t err = srtp_unprotect(this->session, data, &unprotectLen);',
      '\t\tdecryptLen = static_cast<size_t>(unprotectLen);',
    ].join('\n'),
    applied: 'srtp_unprotect(this->session, data, &unprotectLen)',
  },
  {
    file: 'src/RTC/SrtpSession.cpp',
    why: 'libsrtp2 srtp_protect_rtcp(ctx, buf, int* len) works in place: copy into the encrypt buffer first',
    find: /const srtp_err_status_t err = srtp_protect_rtcp\(\s*\/\*srtp_t ctx\*\/ this->session,\s*\/\*const uint8_t\* rtcp\*\/ \*data,\s*\/\*size_t rtcp_len\*\/ \*len,\s*\/\*uint8_t\* srtcp\*\/ encryptBuffer,\s*\/\*size_t\* srtcp_len\*\/ std::addressof\(encryptLen\),\s*\/\*size_t mki_index\*\/ 0\);/,
    replace: [
      '// boomerang: libsrtp2 protects in place.',
      '\t\tstd::memcpy(encryptBuffer, *data, *len);',
      '\t\tint protectLen = static_cast<int>(*len);',
      '\t\tconst srtp_err_status_t err = srtp_protect_rtcp(this->session, encryptBuffer, &protectLen);',
      '\t\tencryptLen = static_cast<size_t>(protectLen);',
    ].join('\n'),
    applied: 'srtp_protect_rtcp(this->session, encryptBuffer, &protectLen)',
  },
  {
    file: 'src/RTC/SrtpSession.cpp',
    why: 'libsrtp2 srtp_unprotect_rtcp(ctx, buf, int* len) works in place',
    find: /const srtp_err_status_t err = srtp_unprotect_rtcp\(\s*\/\*srtp_t ctx\*\/ this->session,\s*\/\*const uint8_t\* srtcp\*\/ data,\s*\/\*size_t srtcp_len\*\/ \*len,\s*\/\*uint8_t\* rtcp\*\/ data,\s*\/\*size_t\* rtcp_len\*\/ std::addressof\(decryptLen\)\);/,
    replace: [
      '// boomerang: libsrtp2 unprotects in place.',
      '\t\tint unprotectLen = static_cast<int>(*len);',
      '\t\tconst srtp_err_status_t err = srtp_unprotect_rtcp(this->session, data, &unprotectLen);',
      '\t\tdecryptLen = static_cast<size_t>(unprotectLen);',
    ].join('\n'),
    applied: 'srtp_unprotect_rtcp(this->session, data, &unprotectLen)',
  },

  // --- DTLS: BIO callback return value ---
  {
    file: 'src/RTC/DtlsTransport.cpp',
    why:
      'the BIO callback must return `ret` in every return phase (BIO_CB_RETURN is a bit); ' +
      "returning 1 for BIO_ctrl makes Debian's OpenSSL (built with kernel TLS) believe kTLS " +
      'is on and every WebRtcTransport DTLS handshake segfaults in libssl',
    find: '(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1',
    replace: '(operationType & BIO_CB_RETURN) ? static_cast<long>(ret) : 1',
    applied: '(operationType & BIO_CB_RETURN) ? static_cast<long>(ret) : 1',
  },
];

/**
 * Applies SOURCE_FIXES to the worker source tree at `workerDir`.
 * @param {string} workerDir
 * @returns {{ applied: string[], alreadyApplied: string[] }}
 */
export function applySourceFixes(workerDir) {
  const applied = [];
  const alreadyApplied = [];

  for (const fix of SOURCE_FIXES) {
    const file = path.join(workerDir, fix.file);
    const label = `${fix.file}: ${fix.why}`;
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`source fix target file is missing: ${file} (${error.message})`);
    }

    if (text.includes(fix.applied)) {
      alreadyApplied.push(label);
      continue;
    }

    const found = typeof fix.find === 'string' ? text.includes(fix.find) : fix.find.test(text);
    if (!found) {
      throw new Error(
        `source fix target not found in ${file}\n` +
          `  fix:      ${fix.why}\n` +
          `  expected: ${String(fix.find)}\n` +
          '  The installed mediasoup sources differ from the version these fixes were written ' +
          'for (3.19.3); review tools/mediasoup/source-fixes.mjs.',
      );
    }

    fs.writeFileSync(file, text.replace(fix.find, () => fix.replace));
    applied.push(label);
  }

  return { applied, alreadyApplied };
}
