#include <stdio.h>
int main(void)
{
  puts("bottle: under construction");
  return 1;
}
