// Uses the installed library: parses a reference and prints a SecretValue (as ***).
#include <iostream>

#include "locksmith/naming.h"
#include "locksmith/secret_value.h"

int main() {
  auto ref = locksmith::ParseSecretRef("database#password");
  if (!ref.ok()) {
    return 1;
  }
  locksmith::SecretValue value("consumer-planted");
  std::cout << ref->name << " " << ref->field << " " << value << "\n";
  return 0;
}
