/* dispatch_prune.c with list values, whose headers hold a function pointer: the rule
 * on obj.ptr changes something for lists only, so the objects are read for their type
 * and only the entries, the list objects and their headers are visited (1201 with
 * N = 1000 and 100 lists; every object, 3101, before).
 * kitsune-test: expect objects_visited <= 1210 */
#define WITH_LISTS 1
#include "dispatch_prune.c"
