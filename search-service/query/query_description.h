// Xapian::Query::get_description() for people: date ranges on the published
// slot (schema::kPublishedSlot, sortable_serialise'd unix seconds) show as
// dates in China Standard Time instead of the raw serialised bytes
// (`VALUE_GE 0 2018-04-01T00:00:00+08:00`, not `VALUE_GE 0 \xe0]\xa4...`).
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_DESCRIPTION_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_DESCRIPTION_H_

#include <string>

#include <xapian.h>

namespace newsearch::search {

std::string ReadableQueryDescription(const Xapian::Query& query);

}  // namespace newsearch::search

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_DESCRIPTION_H_
