variable "budget" {
  default = 100.5
}

provider "m" {
  type = "mock"
}

template "t" {
  text = "hi"
}

# Numbers, so lang accepts them; whole numbers are checked when the request
# is compiled.
run "r" {
  template   = template.t
  provider   = provider.m
  max_tokens = var.budget # ERROR: Invalid max_tokens
}

run "s" {
  template = template.t
  provider = provider.m
  seed     = 2.5 # ERROR: Invalid seed
}

run "ok" {
  template   = template.t
  provider   = provider.m
  max_tokens = 100
  seed       = 7
}
