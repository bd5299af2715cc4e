provider "p" {
  type = "mock"
}

resource "x" { # ERROR: Unsupported block type
}
