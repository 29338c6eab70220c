#include "search-service/query/facets.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

constexpr size_t kMaxFacetValues = 100;

struct Counts {
  int64_t stories = 0;
  int64_t articles = 0;
};

std::map<std::string, Counts> ArticleCounts(const Xapian::ValueCountMatchSpy& spy) {
  std::map<std::string, Counts> counts;
  for (auto it = spy.values_begin(); it != spy.values_end(); ++it) {
    counts[*it].articles = static_cast<int64_t>(it.get_termfreq());
  }
  return counts;
}

int64_t Sum(const Xapian::ValueCountMatchSpy& spy) {
  int64_t sum = 0;
  for (auto it = spy.values_begin(); it != spy.values_end(); ++it) sum += it.get_termfreq();
  return sum;
}

// Adds story counts from a spy on a story slot: each distinct (value, story)
// pair, one entry of the spy, is one story with that value. With `year`, the
// pair's month counts for its year (distinct (year, story) pairs). False
// when the slot is missing on some examined article.
bool AddStories(const Xapian::ValueCountMatchSpy& stories, const Xapian::ValueCountMatchSpy& plain,
                bool year, std::map<std::string, Counts>* counts) {
  if (Sum(stories) != Sum(plain)) return false;
  absl::flat_hash_set<std::string> seen;  // year + story
  for (auto it = stories.values_begin(); it != stories.values_end(); ++it) {
    const std::string story = *it;
    absl::string_view value;
    absl::string_view key;
    if (!schema::ParseStoryValue(story, &value, &key)) return false;
    if (!year) {
      ++(*counts)[std::string(value)].stories;
      continue;
    }
    value = value.substr(0, 4);
    if (seen.insert(absl::StrCat(value, key)).second) ++(*counts)[std::string(value)].stories;
  }
  return true;
}

// `by_count` orders by count (then value), else by value, newest (largest)
// first. At most kMaxFacetValues rows.
void FillFacet(const char* name, std::map<std::string, Counts> counts, bool stories,
               bool by_count, v1::Facet* facet) {
  facet->set_name(name);
  std::vector<std::pair<std::string, Counts>> rows;
  for (auto& [value, c] : counts) {
    if (!stories) c.stories = c.articles;
    rows.emplace_back(value, c);
  }
  if (by_count) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second.stories != b.second.stories ? a.second.stories > b.second.stories
                                                  : a.first < b.first;
    });
  } else {
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
  }
  if (rows.size() > kMaxFacetValues) rows.resize(kMaxFacetValues);
  for (auto& [value, c] : rows) {
    v1::FacetValue* row = facet->add_values();
    row->set_value(std::move(value));
    row->set_count(c.stories);
    row->set_article_count(c.articles);
  }
}

}  // namespace

FacetSpies::FacetSpies(bool stories)
    : stories_(stories),
      source_(schema::kSourceSlot),
      year_(schema::kYearSlot),
      month_(schema::kMonthSlot),
      source_stories_(schema::kSourceStorySlot),
      month_stories_(schema::kMonthStorySlot) {}

void FacetSpies::AddTo(Xapian::Enquire* enquire) {
  enquire->add_matchspy(&source_);
  enquire->add_matchspy(&year_);
  enquire->add_matchspy(&month_);
  if (stories_) {
    enquire->add_matchspy(&source_stories_);
    enquire->add_matchspy(&month_stories_);
  }
}

void FacetSpies::Fill(v1::SearchResponse* response) const {
  std::map<std::string, Counts> source = ArticleCounts(source_);
  std::map<std::string, Counts> year = ArticleCounts(year_);
  std::map<std::string, Counts> month = ArticleCounts(month_);
  const bool source_stories =
      stories_ && AddStories(source_stories_, source_, /*year=*/false, &source);
  const bool month_stories = stories_ &&
                             AddStories(month_stories_, month_, /*year=*/false, &month) &&
                             AddStories(month_stories_, month_, /*year=*/true, &year);
  FillFacet("source", std::move(source), source_stories, /*by_count=*/true,
            response->add_facets());
  FillFacet("year", std::move(year), month_stories, /*by_count=*/false, response->add_facets());
  FillFacet("month", std::move(month), month_stories, /*by_count=*/false,
            response->add_facets());
}

}  // namespace newsearch::search
