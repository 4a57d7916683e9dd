// FFmpeg's libraries as Swift sees them (Debian: libavformat-dev libavcodec-dev libavutil-dev
// libswscale-dev libavdevice-dev). Only VideoDecoding imports this module. The static inline
// functions stand in for macros Swift cannot import.
#pragma once
#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

static inline int cffmpeg_error_again(void) { return AVERROR(EAGAIN); }
static inline int cffmpeg_error_eof(void) { return AVERROR_EOF; }
static inline int64_t cffmpeg_no_pts(void) { return AV_NOPTS_VALUE; }
