#include "search-service/query/query_fields.h"

#include "absl/strings/ascii.h"
#include "search-service/schema/schema.h"

namespace newsearch::search::query_internal {

bool ParseField(const std::string& name, QueryField* field) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "title" || name == "标题" || name == "標題") {
    *field = QueryField::kTitle;
  } else if (lower == "source" || name == "来源" || name == "來源" || name == "出处" ||
             name == "出處") {
    *field = QueryField::kSource;
  } else if (lower == "author" || lower == "editor" || lower == "reporter" || name == "作者" ||
             name == "编辑" || name == "編輯" || name == "记者" || name == "記者") {
    *field = QueryField::kAuthor;
  } else {
    return false;
  }
  return true;
}

const char* FieldName(QueryField field) {
  switch (field) {
    case QueryField::kTitle:
      return "title:";
    case QueryField::kSource:
      return "source:";
    case QueryField::kAuthor:
      return "author:";
    case QueryField::kAny:
      break;
  }
  return "";
}

const char* FieldPrefix(QueryField field) {
  switch (field) {
    case QueryField::kTitle:
      return schema::kTitlePrefix;
    case QueryField::kSource:
      return schema::kSourcePrefix;
    case QueryField::kAuthor:
      return schema::kAuthorPrefix;
    case QueryField::kAny:
      break;
  }
  return "";
}

}  // namespace newsearch::search::query_internal
