/* driver.h - entry point used by the `kitsune run` command (not for programs). */
#ifndef KITSUNE_DRIVER_H
#define KITSUNE_DRIVER_H

/* Loads the program version at `path` and runs its main(argc, argv); returns main's
 * result (after updates, the process exits from the last version's main instead). */
int kitsune_run_program(const char *path, int argc, char **argv);

#endif
