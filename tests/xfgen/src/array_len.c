/* Arrays whose length changed: one shrinks (elements would be lost: a rule must say
 * which to keep), one grows (its new elements are zeroed, no rule needed). */
#if VERSION == 1
int slots[8];
int grows[2];
#else
int slots[4];
int grows[4];
#endif
