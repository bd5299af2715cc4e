provider "negative" {
  type    = "openai"
  model   = "gpt-4o-mini"
  timeout = "-5s" # ERROR: Invalid duration
}

provider "words" {
  type    = "openai"
  model   = "gpt-4o-mini"
  timeout = "two minutes" # ERROR: Invalid duration
}
