/* config.h - a decoy: `-include config.h` searches the compiler's working directory
 * (the build directory, which has the real one) before the source's directory. */
#error "-include config.h must come from the build directory, not the source directory"
