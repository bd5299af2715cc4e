variable "n" {
  default = 3
}

provider "p" {
  type = "mock"
}

template "t" {
  text = "${x}"
}

run "number" {
  for_each = 3 # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.p
  vars     = { x = each.key }
}

run "string" {
  for_each = "abc" # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.p
  vars     = { x = each.key }
}

run "numbers" {
  for_each = [1, 2] # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.p
  vars     = { x = each.key }
}

run "from_var" {
  for_each = var.n # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.p
  vars     = { x = each.key }
}

run "fine" {
  for_each = { a = 1, b = 2 }
  template = template.t
  provider = provider.p
  vars     = { x = each.key }
}

run "from_run" {
  for_each = toset([run.fine["a"].output]) # ERROR: Invalid for_each argument
  template = template.t
  provider = provider.p
  vars     = { x = each.key }
  output   = "out/${run.fine["b"].output}" # ERROR: Invalid output path
}
