provider "p" {
  type    = "mock"
  latency = "50 ms" # ERROR: Invalid duration
}

provider "q" {
  type    = "openai"
  model   = "gpt-4o"
  timeout = 30 # ERROR: Invalid duration
}
