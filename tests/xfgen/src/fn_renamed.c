/* For function rename rules: a table of functions, one renamed between versions. */
#if VERSION == 1
static int area(int w, int h) { return w * h; }
#define AREA area
#else
int rect_area(int w, int h) { return w * h; }
#define AREA rect_area
#endif
int perimeter(int w, int h) { return 2 * (w + h); }

int (*shape_fns[2])(int, int) = {AREA, perimeter};
