// The message of the exception a call throws, or "" if it throws none: for tests that check
// what an error says, not only that there is one.
#pragma once

#include <exception>
#include <functional>
#include <string>

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
