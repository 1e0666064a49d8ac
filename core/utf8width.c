/* core/utf8width.c - display width of UTF-8 text (see core/utf8width.h). */
#include "core/utf8width.h"

#include <string.h>

typedef struct qb_cp_range {
  uint32_t lo, hi;
} qb_cp_range;

#include "core/utf8width_table.h"

/* 1 when cp lies in one of the n sorted ranges r (binary search). */
static int in_ranges(uint32_t cp, const qb_cp_range *r, size_t n) {
  if (cp < r[0].lo || cp > r[n - 1].hi) return 0;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cp > r[mid].hi)
      lo = mid + 1;
    else if (cp < r[mid].lo)
      hi = mid;
    else
      return 1;
  }
  return 0;
}

int qb_utf8_cp_width(uint32_t cp) {
  if (cp < 0x300) return 1;
  if (in_ranges(cp, ZERO, sizeof ZERO / sizeof ZERO[0])) return 0;
  if (in_ranges(cp, WIDE, sizeof WIDE / sizeof WIDE[0])) return 2;
  return 1;
}

size_t qb_utf8_decode(const char *s, size_t len, uint32_t *cp) {
  const unsigned char *p = (const unsigned char *)s;
  unsigned char b = p[0];
  size_t n;
  uint32_t c, min;
  *cp = QB_UTF8_INVALID;
  if (b < 0x80) {
    *cp = b;
    return 1;
  }
  if (b >= 0xc2 && b <= 0xdf) {
    n = 2, c = b & 0x1f, min = 0x80;
  } else if (b >= 0xe0 && b <= 0xef) {
    n = 3, c = b & 0x0f, min = 0x800;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4, c = b & 0x07, min = 0x10000;
  } else {
    return 1; /* a continuation byte, 0xc0/0xc1 (always overlong) or 0xf5.. */
  }
  if (len < n) return 1;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80) return 1;
    c = c << 6 | (p[i] & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 1;
  *cp = c;
  return n;
}

/* Columns of the character decoded as cp (an invalid byte is one column). */
static size_t cp_cols(uint32_t cp) {
  return cp == QB_UTF8_INVALID ? 1 : (size_t)qb_utf8_cp_width(cp);
}

size_t qb_utf8_width_n(const char *s, size_t len) {
  size_t w = 0;
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    i += qb_utf8_decode(s + i, len - i, &cp);
    w += cp_cols(cp);
  }
  return w;
}

size_t qb_utf8_width(const char *s) {
  return qb_utf8_width_n(s, strlen(s));
}

int qb_utf8_pad(const char *s, size_t cols) {
  size_t w = qb_utf8_width(s);
  return w < cols ? (int)(cols - w) : 0;
}

/* Bytes of the longest start of s (len bytes) that fits in cols columns, with the zero-width
 * characters that follow it (they belong to its last character) but not a trailing ZWJ, which
 * would join it to what is cut. */
static size_t fit_start(const char *s, size_t len, size_t cols) {
  size_t i = 0, w = 0, end = 0;
  while (i < len) {
    uint32_t cp;
    size_t k = qb_utf8_decode(s + i, len - i, &cp);
    size_t cw = cp_cols(cp);
    if (w + cw > cols) break;
    w += cw;
    i += k;
    if (cp != 0x200D) end = i;
  }
  return end;
}

/* Byte offset where the longest end of s (len bytes) of at most cols columns starts, never on
 * a zero-width character (which would lose the character it belongs to); len when none fits. */
static size_t fit_end(const char *s, size_t len, size_t cols) {
  size_t rest = qb_utf8_width_n(s, len);
  for (size_t i = 0; i < len;) {
    uint32_t cp;
    size_t k = qb_utf8_decode(s + i, len - i, &cp);
    size_t cw = cp_cols(cp);
    if (cw && rest <= cols) return i;
    rest -= cw;
    i += k;
  }
  return len;
}

int qb_utf8_ellipsize(const char *s, size_t cols, qb_buf *out, qb_err *err) {
  size_t len = strlen(s);
  if (qb_utf8_width_n(s, len) <= cols) return qb_buf_add(out, s, len, err);
  if (!cols) return QB_OK;
  size_t room = cols - 1, tail = room / 2;
  /* the last part after a separator, when it fits with three columns of the start left */
  for (size_t i = len; i-- > 0;)
    if (s[i] && strchr("/[: ", s[i])) {
      size_t part = qb_utf8_width_n(s + i, len - i);
      if (part > tail && part + 3 <= room) tail = part;
      break;
    }
  size_t head = fit_start(s, len, room - tail);
  size_t from = fit_end(s, len, tail);
  if (from < head) from = head;
  int rc = qb_buf_add(out, s, head, err);
  if (!rc) rc = qb_buf_adds(out, "\xe2\x80\xa6", err);
  if (!rc) rc = qb_buf_add(out, s + from, len - from, err);
  return rc;
}
