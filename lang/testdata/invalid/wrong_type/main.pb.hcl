promptbuild {
  parallelism = "x" # ERROR: Incorrect attribute value type
  lock_file   = ["a"] # ERROR: Incorrect attribute value type
}

provider "p" {
  type            = "mock"
  max_concurrency = -1 # ERROR: Invalid value
  headers         = "nope" # ERROR: Incorrect attribute value type
}

template "t" {
  text = "hi"
}

run "a" {
  template    = template.t
  provider    = provider.p
  temperature = "hot" # ERROR: Incorrect attribute value type
  params      = 3 # ERROR: Incorrect attribute value type
  format      = "yaml" # ERROR: Invalid format
}
