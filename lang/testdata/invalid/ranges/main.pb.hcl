# One value out of range for every numeric setting. The edges of each
# range are valid (run "edges" and provider "edges").

promptbuild {
  parallelism = 0 # ERROR: Invalid value
}

variable "retries" {
  default = 101
}

provider "mock" {
  type                = "mock"
  max_concurrency     = 0 # ERROR: Invalid value
  requests_per_minute = -1 # ERROR: Invalid value
  tokens_per_minute   = 0 # ERROR: Invalid value
  max_retries         = var.retries # ERROR: Invalid value
  timeout             = "0s" # ERROR: Invalid duration
  context_window      = 0 # ERROR: Invalid value
  latency             = "-5ms" # ERROR: Invalid duration
  fail_every          = -1 # ERROR: Invalid value
  params = {
    top_p = 1.5 # ERROR: Invalid value
  }
  pricing {
    input_per_mtok        = -1 # ERROR: Invalid value
    output_per_mtok       = -0.5 # ERROR: Invalid value
    cached_input_per_mtok = -2 # ERROR: Invalid value
  }
}

provider "edges" {
  type                = "mock"
  max_concurrency     = 1
  requests_per_minute = 1
  tokens_per_minute   = 1
  max_retries         = 100
  timeout             = "1ms"
  context_window      = 1
  latency             = "0s"
  fail_every          = 0
  params = {
    top_p = 1
  }
  pricing {
    input_per_mtok        = 0
    output_per_mtok       = 0
    cached_input_per_mtok = 0
  }
}

provider "claude" {
  type  = "anthropic"
  model = "claude-3-5-haiku"
}

template "t" {
  text = "hi"
}

run "temperature" {
  template    = template.t
  provider    = provider.mock
  temperature = 7 # ERROR: Invalid value
}

run "temperature_negative" {
  template    = template.t
  provider    = provider.mock
  temperature = -0.1 # ERROR: Invalid value
}

run "temperature_anthropic" {
  template    = template.t
  provider    = provider.claude
  temperature = 1.5 # ERROR: Invalid value
}

run "max_tokens" {
  template   = template.t
  provider   = provider.mock
  max_tokens = -5 # ERROR: Invalid value
}

run "max_tokens_zero" {
  template   = template.t
  provider   = provider.mock
  max_tokens = 0 # ERROR: Invalid value
}

run "seed" {
  template = template.t
  provider = provider.mock
  seed     = 1.5 # ERROR: Invalid value
}

run "top_p" {
  template = template.t
  provider = provider.mock
  params   = { top_p = -0.1 } # ERROR: Invalid value
}

run "edges" {
  template    = template.t
  provider    = provider.edges
  temperature = 2
  max_tokens  = 1
  seed        = -9223372036854775808
  params      = { top_p = 0, other = 99 }
}

run "edges_anthropic" {
  template    = template.t
  provider    = provider.claude
  temperature = 1
}
