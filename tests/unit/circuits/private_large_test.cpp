// The largest corpus network's private-input proof, in a binary of its own: it peaks at
// about 4.5 GB, so ctest runs it alone (RUN_SERIAL).
#include <catch2/catch.hpp>

#include "unit/circuits/private_case.hpp"

using namespace zks::test::priv;

TEST_CASE("paddleocr_cls (179 nodes, softmax head) proves privately", "[private][large]") {
  const Case k = load("paddleocr_cls");
  check_proves(k);
}
