/* A variable and a field narrowed. */
#if VERSION == 1
long total;
#else
int total;
#endif

struct stat {
#if VERSION == 1
    long long bytes;
#else
    int bytes;
#endif
    int files;
};

struct stat stat_;
