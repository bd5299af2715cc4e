provider "p" {
  type  = "openia" # ERROR: Invalid provider type
  model = "gpt-4o"
}

provider "q" {
  type       = "openai"
  model      = "gpt-4o"
  fail_every = 2 # ERROR: Unsupported argument
}
