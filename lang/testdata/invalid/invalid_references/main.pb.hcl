provider "p" {
  type = "mock"
}

template "t" {
  text = "${x}"
}

template "single" {
  text = "${x}"
}

run "one" {
  template = template.single
  provider = provider.p
  vars     = { x = "a" }
}

run "many" {
  for_each = toset(["a", "b"])
  template = template.single
  provider = provider.p
  vars     = { x = each.key }
}

run "a" {
  template = template.t
  provider = provider.p
  vars = {
    x = run.one["k"].output # ERROR: Unexpected run instance key
  }
  temperature = run.many.output # ERROR: Missing run instance key
  max_tokens  = run.one.result # ERROR: Unsupported attribute
  seed        = provider.p # ERROR: Invalid reference
  schema      = doc # ERROR: Invalid reference
  params      = { k = var } # ERROR: Invalid reference
  depends_on  = [run.one.output] # ERROR: Invalid depends_on reference
}

run "b" {
  template = template.t
  provider = provider.p
  vars     = merge({ x = 1 }) # ERROR: Invalid vars
}

run "c" {
  template = template.t
  provider = provider.p
  vars = {
    x   = 1
    x   = 2 # ERROR: Duplicate vars key
    var = 3 # ERROR: Reserved vars key
  }
}

run "d" {
  template   = template.t
  provider   = provider.p
  vars       = { x = 1 }
  depends_on = [run["one"]] # ERROR: Invalid depends_on reference
}
