provider "m" {
  type = "mock"
}

template "t" {
  text = "${p}"
}

run "r" {
  for_each = { a = "json", b = "text" }
  template = template.t
  provider = provider.m
  vars     = { p = "Answer in ${each.value}" }
  format   = each.value

  assert {
    condition = self.json.ok # ERROR: Run answer is not JSON
  }
}

run "check" {
  template = template.t
  provider = provider.m
  vars     = { p = "Check" }

  assert {
    condition = run.r["zz"].output != "" # ERROR: Reference to undeclared run instance
  }
}
