#include "search-service/schema/document_data.h"

#include <memory>

#include <zstd.h>

namespace newsearch::search::schema {
namespace {

// The first byte of compressed document data.
constexpr char kCompressedMarker = '\0';
// zstd's default level: 3 and 6 decompress equally fast; 3 writes twice as
// fast for 2% more bytes, 1 faster still for 3% more again.
constexpr int kCompressionLevel = 3;

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// One context per thread, kept: creating one costs more than a whole
// article's decompression. Index shards and searches run on many threads.
ZSTD_CCtx* CompressionContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> context(ZSTD_createCCtx());
  return context.get();
}

ZSTD_DCtx* DecompressionContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> context(ZSTD_createDCtx());
  return context.get();
}

}  // namespace

std::string EncodeDocumentData(std::string message) {
  ZSTD_CCtx* context = CompressionContext();
  std::string data(1 + ZSTD_compressBound(message.size()), '\0');
  data[0] = kCompressedMarker;
  const size_t size =
      context == nullptr
          ? 0
          : ZSTD_compressCCtx(context, data.data() + 1, data.size() - 1, message.data(),
                              message.size(), kCompressionLevel);
  if (context == nullptr || ZSTD_isError(size) || 1 + size >= message.size()) {
    return message;  // nothing gained (a tiny article), or no memory for zstd
  }
  data.resize(1 + size);
  return data;
}

bool DecodeDocumentData(const std::string& stored, std::string* buffer,
                        absl::string_view* message) {
  if (stored.empty() || stored[0] != kCompressedMarker) {
    *message = stored;
    return true;
  }
  const absl::string_view data = absl::string_view(stored).substr(1);
  const unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
      size > kMaxDocumentDataBytes) {
    return false;
  }
  ZSTD_DCtx* context = DecompressionContext();
  if (context == nullptr) return false;
  buffer->resize(static_cast<size_t>(size));
  const size_t got =
      ZSTD_decompressDCtx(context, buffer->data(), buffer->size(), data.data(), data.size());
  if (ZSTD_isError(got) || got != size) return false;
  *message = *buffer;
  return true;
}

}  // namespace newsearch::search::schema
