/* arrays.h - arrays of every length whose bound crosses a DWARF form width (data1,
 * data2, data4, signed and unsigned): 1, 127, 128, 129, 200, 255, 256, 257, 32767,
 * 32768, 32769, 65535, 65536, 100000 elements, as globals, file statics, function
 * statics, struct fields and 2-D arrays.  Used by the kitc test (arrays.c) and by the
 * update scenario tests/scenarios/array_lengths.c. */
#ifndef ARRAYS_H
#define ARRAYS_H

#define ARRAY_LENGTHS(X) \
    X(1) X(127) X(128) X(129) X(200) X(255) X(256) X(257) X(32767) X(32768) X(32769) \
    X(65535) X(65536) X(100000)

/* One field per length: the struct is ~300 KB, so sizes and offsets need data4 too. */
#define ARRAY_FIELD(n) unsigned char f##n[n];
struct lens {
    ARRAY_LENGTHS(ARRAY_FIELD)
};

#endif
