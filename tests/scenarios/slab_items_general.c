/* slab_items.c run by the general engine: the same items, the same refusal.
 * kitsune-test: env=KITSUNE_ENGINE=general
 * kitsune-test: outcomes=committed,rolled_back,committed
 * kitsune-test: reason=struct item is rebuilt by this update (16 to 24 bytes), and its object at ... moving it would leave the rest of that block in the old layout */
#include "slab_items.c"
