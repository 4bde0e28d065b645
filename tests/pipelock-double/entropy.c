#include "tests/pipelock-double/entropy.h"

static double log2_approx(double x)
{
  int exp = 0;
  while (x >= 2.0) {
    x /= 2.0;
    exp++;
  }
  while (x < 1.0) {
    x *= 2.0;
    exp--;
  }
  /* ln(x) = 2 atanh((x-1)/(x+1)) for x in [1,2) */
  double y = (x - 1.0) / (x + 1.0), y2 = y * y, term = y, sum = 0.0;
  for (int k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= y2;
  }
  return exp + 2.0 * sum / 0.69314718055994530942;
}

double shannon_entropy(const char *s, size_t n)
{
  unsigned counts[256] = {0};
  if (n == 0)
    return 0.0;
  for (size_t i = 0; i < n; i++)
    counts[(unsigned char)s[i]]++;
  double h = 0.0;
  for (int c = 0; c < 256; c++) {
    if (!counts[c])
      continue;
    double p = (double)counts[c] / (double)n;
    h -= p * log2_approx(p);
  }
  return h;
}
