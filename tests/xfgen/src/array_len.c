/* An array whose length changed. */
#if VERSION == 1
int slots[4];
#else
int slots[8];
#endif
