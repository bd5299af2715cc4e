provider "p" {
  type = "mock"
  responses = {
    "^ok"    = "fine"
    "(unclosed" = "never" # ERROR: Invalid regular expression
  }
}
