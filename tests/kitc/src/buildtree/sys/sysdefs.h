/* sysdefs.h - found through a relative -isystem (a system header: no annotations). */
typedef unsigned long sys_word_t;
