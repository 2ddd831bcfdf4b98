#include "kitsune.h"

int counter E_NOTELOCALS;
