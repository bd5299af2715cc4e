variable "tone" {
  default = "neutral"
}

provider "p" {
  type  = "mock"
  model = var.modle # ERROR: Reference to undeclared variable
}

input "x" {
  value = "${var.tone} ${var.tonne}" # ERROR: Reference to undeclared variable
}

template "t" {
  text = "Tone: ${var.mood}" # ERROR: Reference to undeclared variable
}

run "a" {
  template = template.t
  provider = provider.p
  output   = "out/${var.tones}.md" # ERROR: Reference to undeclared variable
}
