#include "search-service/query/relax.h"

#include <cstddef>

namespace newsearch::search {
namespace {

// Appends the AND of every k-subset of optional[from..] joined with `chosen`.
void Subsets(const std::vector<Xapian::Query>& optional, size_t from, int k,
             std::vector<Xapian::Query>* chosen, std::vector<Xapian::Query>* out) {
  if (k == 0) {
    out->push_back(chosen->size() == 1
                       ? chosen->front()
                       : Xapian::Query(Xapian::Query::OP_AND, chosen->begin(), chosen->end()));
    return;
  }
  for (size_t i = from; i + static_cast<size_t>(k) <= optional.size(); ++i) {
    chosen->push_back(optional[i]);
    Subsets(optional, i + 1, k - 1, chosen, out);
    chosen->pop_back();
  }
}

}  // namespace

Xapian::Query AtLeastQuery(const std::vector<Xapian::Query>& required,
                           const std::vector<Xapian::Query>& optional, int k) {
  // The weight: every required query and every optional one matched.
  Xapian::Query any_optional =
      optional.empty() ? Xapian::Query()
                       : Xapian::Query(Xapian::Query::OP_OR, optional.begin(), optional.end());
  Xapian::Query weighted;
  if (!required.empty()) {
    Xapian::Query all_required =
        required.size() == 1 ? required[0]
                             : Xapian::Query(Xapian::Query::OP_AND, required.begin(),
                                             required.end());
    weighted = any_optional.empty()
                   ? all_required
                   : Xapian::Query(Xapian::Query::OP_AND_MAYBE, all_required, any_optional);
  } else {
    weighted = any_optional;
  }
  if (k <= 0) return weighted;
  if (k == 1) {
    // At least one optional word: the OR itself, weighted.
    return required.empty() ? weighted
                            : Xapian::Query(Xapian::Query::OP_FILTER, weighted, any_optional);
  }
  std::vector<Xapian::Query> subsets;
  std::vector<Xapian::Query> chosen;
  Subsets(optional, 0, k, &chosen, &subsets);
  // The subsets decide the match only; OP_FILTER gives them no weight.
  return Xapian::Query(Xapian::Query::OP_FILTER, weighted,
                       Xapian::Query(Xapian::Query::OP_OR, subsets.begin(), subsets.end()));
}

}  // namespace newsearch::search
