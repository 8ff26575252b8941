/* A plugin built for another ABI version: the loader must refuse it. */
#define TOY_NAME "wrong_abi"
#define TOY_ABI 999u
#include "good_pde.c"
