/* A counter that changed signedness. */
#if VERSION == 1
int counter;
#else
unsigned int counter;
#endif
