/* core/utf8width.h - terminal display width of UTF-8 text, independent of the locale, and
 * shortening text to a width with a middle ellipsis.
 *
 * A code point is 2 columns when its East Asian Width is W or F (CJK ideographs, kana, Hangul
 * syllables, fullwidth forms, emoji with emoji presentation such as U+1F680), 0 when it is a
 * combining mark (Mn, Me), a format character (Cf: ZWJ U+200D, ZWSP, BOM...), a variation
 * selector (U+FE00..U+FE0F) or a Hangul medial or final jamo, and 1 otherwise. A byte that does
 * not start a valid UTF-8 sequence (stray continuation, overlong form, surrogate, beyond
 * U+10FFFF, cut short) is 1 column and decodes alone. The tables come from Unicode 14
 * (core/utf8width_table.h, made by scripts/gen-utf8width.py). Nothing here allocates except
 * qb_utf8_ellipsize, which appends to a caller-owned qb_buf. */
#ifndef QB_CORE_UTF8WIDTH_H
#define QB_CORE_UTF8WIDTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Columns code point cp takes: 0, 1 or 2 (see above; a value past U+10FFFF is 1). */
int qb_utf8_cp_width(uint32_t cp);

/* Decode the sequence starting s (len > 0 bytes available) into *cp; returns the bytes it
 * takes (1..4). An invalid sequence takes 1 byte and gives *cp = QB_UTF8_INVALID. */
#define QB_UTF8_INVALID 0xFFFFFFFFu
size_t qb_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Display width of the len bytes at s. */
size_t qb_utf8_width_n(const char *s, size_t len);
/* Display width of the NUL-terminated s. */
size_t qb_utf8_width(const char *s);

/* Spaces that pad s to cols display columns (0 when s is as wide or wider): for printf's
 * "%s%*s", which pads by bytes with "%-28s". */
int qb_utf8_pad(const char *s, size_t cols);

/* Append s to out shortened to at most cols columns: s itself when it fits; otherwise its start,
 * "…" (U+2026, one column) and its end, the end being at least half the room and, when it fits
 * with three columns of the start left, the whole last part after a '/', '[', ':' or ' ' (the
 * parameter of "sort/n=1000"). Cuts fall between characters, never inside a UTF-8 sequence, so
 * a wide character that does not fit leaves the result a column short. */
int qb_utf8_ellipsize(const char *s, size_t cols, qb_buf *out, qb_err *err);

#endif
