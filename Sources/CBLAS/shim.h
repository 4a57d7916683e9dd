#include <cblas.h>
// OpenBLAS extension (declared in its cblas.h on Debian; repeated here for other installs).
void openblas_set_num_threads(int num_threads);
