#ifndef CCODECS_H
#define CCODECS_H
// C glue for zlib/libpng/libjpeg; implemented in ccodecs.c.
int ccodecs_version(void);
#endif
