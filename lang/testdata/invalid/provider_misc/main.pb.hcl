variable "answers" {
  default = { a = "b" }
}

provider "p" {
  type      = "mock"
  responses = var.answers # ERROR: Invalid expression
  pricing {
    input_per_mtok = -1 # ERROR: Invalid value
    per_call       = 2 # ERROR: Unsupported argument
  }
  pricing { # ERROR: Duplicate pricing block
  }
}

provider "q" {
  type        = "anthropic"
  model       = "claude"
  params      = ["x"] # ERROR: Incorrect attribute value type
  max_retries = 1.5 # ERROR: Invalid value
  api_key_env = input.key # ERROR: Invalid reference
  latency     = "1s" # ERROR: Unsupported argument
}

provider "bad-name!" { # ERROR: Invalid provider name
  type = "mock"
}
