#ifndef CCODECS_H
#define CCODECS_H
// C glue for zlib, libpng and libjpeg. Error handling in these libraries relies on setjmp/longjmp
// (libjpeg) or on macros Swift cannot import (inflateInit2), so it lives here; Swift only sees
// plain functions that return a status and fill caller-owned or malloc'ed buffers.
#include <stddef.h>
#include <stdint.h>

/// Status codes shared by every function below (0 = success).
enum {
    CCODECS_OK = 0,
    CCODECS_ERR_TRUNCATED = 1,   // input ended before the stream did
    CCODECS_ERR_CORRUPT = 2,     // data does not follow the format
    CCODECS_ERR_NOMEM = 3,       // allocation failed
    CCODECS_ERR_TOO_LARGE = 4,   // declared/decoded size above the caller's cap
    CCODECS_ERR_UNSUPPORTED = 5, // valid but not handled (e.g. CMYK JPEG)
    CCODECS_ERR_IO = 6,          // read() failed (message holds strerror)
};

/// Incremental gunzip (all concatenated members), for decompressing while another thread parses,
/// over an open file descriptor (not closed by the stream), read through a 256 KiB buffer so a big
/// .gz never has to be resident. `prefix` holds bytes already read from fd (the caller sniffed the
/// magic), which the stream consumes first.
typedef struct ccodecs_gunzip_stream ccodecs_gunzip_stream;
ccodecs_gunzip_stream *ccodecs_gunzip_begin_fd(int fd, const uint8_t *prefix, size_t prefix_len);
/// Inflates up to cap bytes into out; *produced gets the count, *done becomes 1 after the last
/// member. Returns a status as above (TRUNCATED when the input ends inside a member); message
/// (may be NULL) receives a short text from zlib on failure.
int ccodecs_gunzip_next(ccodecs_gunzip_stream *s, uint8_t *out, size_t cap, size_t *produced, int *done,
                        char *message, size_t message_cap);
void ccodecs_gunzip_end(ccodecs_gunzip_stream *s);

/// Compresses to a single gzip member (used to write .csv.gz and by tests).
int ccodecs_gzip(const uint8_t *in, size_t in_len, int level, uint8_t **out, size_t *out_len);

void ccodecs_free(void *p);

/// Reads the PNG header only: width and height, no pixel allocation.
int ccodecs_png_info(const uint8_t *data, size_t len, uint32_t *width, uint32_t *height,
                     char *message, size_t message_cap);
/// Decodes a PNG to 8-bit sRGB RGBA into rgba (width*height*4 bytes, caller-allocated after
/// checking ccodecs_png_info).
int ccodecs_png_decode_rgba(const uint8_t *data, size_t len, uint8_t *rgba, uint32_t width, uint32_t height,
                            char *message, size_t message_cap);
/// Encodes 8-bit pixels (channels 1 = gray, 3 = RGB, 4 = RGBA) to a PNG file.
int ccodecs_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height, int channels,
                      char *message, size_t message_cap);

/// Reads the JPEG header only.
int ccodecs_jpeg_info(const uint8_t *data, size_t len, uint32_t *width, uint32_t *height,
                      int *components, char *message, size_t message_cap);
/// Decodes a JPEG to 8-bit RGB (width*height*3 bytes, caller-allocated after ccodecs_jpeg_info).
/// Grayscale JPEGs are expanded to R=G=B.
int ccodecs_jpeg_decode_rgb(const uint8_t *data, size_t len, uint8_t *rgb, uint32_t width, uint32_t height,
                            char *message, size_t message_cap);
/// Encodes gray (channels 1) or RGB (channels 3) pixels to a baseline JPEG in memory (malloc'ed).
int ccodecs_jpeg_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int quality,
                        uint8_t **out, size_t *out_len, char *message, size_t message_cap);

#endif
