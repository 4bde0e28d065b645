#include "config/error.h"

#include <string.h>

const char *cfg_quote(const char *value, size_t len, char *out, size_t outsz)
{
  enum { SHOWN_MAX = 80 };
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  if (outsz < 16) {
    if (outsz)
      out[0] = '\0';
    return out;
  }
  /* Room for the closing quote, "..." and the terminator. */
  size_t limit = outsz - 6;
  out[o++] = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)value[i];
    char piece[5];
    size_t n;
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      if (c == '"' || c == '\\') {
        piece[0] = '\\';
        piece[1] = (char)c;
        n = 2;
      } else {
        piece[0] = '\\';
        piece[1] = 'x';
        piece[2] = hex[c >> 4];
        piece[3] = hex[c & 15];
        n = 4;
      }
    } else {
      piece[0] = (char)c;
      n = 1;
    }
    if (o + n > limit || i >= SHOWN_MAX) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    memcpy(out + o, piece, n);
    o += n;
  }
  out[o++] = '"';
  out[o] = '\0';
  return out;
}
