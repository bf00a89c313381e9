// The README's library example, built against an installed locksmith: the one-line start over
// the embedded store (configured by run.cmake through the environment), one write and one read.
// Prints the value only as *** (SecretValue's stream form) and whether it is the one written.
#include <locksmith/locksmith.h>

#include <iostream>

int main() {
  auto secrets = locksmith::SecretsManager::FromEnv();
  if (!secrets.ok()) {
    std::cerr << "FromEnv: " << secrets.error().ToString() << "\n";
    return 1;
  }
  const locksmith::SecretValue planted("consumer-planted-value");
  if (auto put = (*secrets)->Put("db-encryption-key", planted); !put.ok()) {
    std::cerr << "Put: " << put.error().ToString() << "\n";
    return 1;
  }
  locksmith::Result<locksmith::SecretValue> key = (*secrets)->Get("db-encryption-key");
  if (!key.ok()) {
    std::cerr << "Get: " << key.error().ToString() << "\n";
    return 1;
  }
  std::cout << "db-encryption-key " << *key << " " << (*key == planted ? "matches" : "differs")
            << " on " << (*secrets)->Backend() << "\n";
  return 0;
}
