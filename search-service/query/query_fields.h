// The fields a query can name (query_parser.h): the names users type
// (`title:`, `来源`, `author`, …), how Describe() writes them, and the term
// prefix of each in the index (search-service/schema). Internal to
// newsearch_query.
#ifndef NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_FIELDS_H_
#define NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_FIELDS_H_

#include <string>

#include "search-service/query/query_parser.h"

namespace newsearch::search::query_internal {

// Sets *field from a field name, for the `name:` prefix and for field words
// typed before a value (`来源 新华社`): both scripts and English; an editor's
// or reporter's byline is stored among the authors. Returns false, leaving
// *field alone, for any other word.
bool ParseField(const std::string& name, QueryField* field);

// Returns the prefix Describe() writes for `field` (`title:`; "" for kAny).
const char* FieldName(QueryField field);

// Returns the index term prefix of `field` ("" for kAny).
const char* FieldPrefix(QueryField field);

}  // namespace newsearch::search::query_internal

#endif  // NEWSEARCH_SEARCH_SERVICE_QUERY_QUERY_FIELDS_H_
