/* nodebug.c - built without -g: kitc must say so. */
int x = 1;
