variable "sev" {
  default = "warning"
}

provider "p" {
  type = "mock"
}

template "t" {
  text = "${x}"
}

run "up" {
  template = template.t
  provider = provider.p
  vars     = { x = "up" }
}

run "a" {
  template = template.t
  provider = provider.p
  vars     = { x = "a" }

  assert { # ERROR: Missing condition
    error_message = "no condition"
  }
  assert {
    condition = true
    judge     = "strict" # ERROR: Conflicting assertion # ERROR: Invalid judge reference
    criteria  = "Answers the question."
  }
  assert {
    condition = true
    criteria  = "Answers the question." # ERROR: Unexpected criteria
    threshold = 0.7 # ERROR: Unexpected threshold
  }
  assert {
    judge     = judge.strict # ERROR: Missing criteria
    threshold = 1.5 # ERROR: Invalid value
  }
  assert {
    judge    = judge.strct # ERROR: Reference to undeclared judge
    criteria = "Polite."
  }
  assert {
    judge    = judge.strict
    criteria = "Agrees with ${run.up.output}" # ERROR: Invalid reference in criteria
  }
  assert {
    condition = length(self.output) > 0
    severity  = "fatal" # ERROR: Invalid severity
  }
  assert {
    condition = true
    severity  = var.sev # ERROR: Variables not allowed
  }
  assert {
    condition = true
    pass_rate = 0 # ERROR: Invalid value
  }
  assert {
    condition = true
    pass_rate = 1.5 # ERROR: Invalid value
  }
  assert {
    condition = true
    pass_rate = "most" # ERROR: Incorrect attribute value type
  }
  assert {
    condition = self.text != "" # ERROR: Unsupported attribute
  }
  assert {
    condition = self != null # ERROR: Invalid reference
  }
  assert {
    condition = self.usage.total_tokens < 100 # ERROR: Unsupported attribute
  }
  assert {
    condition = self.json.ok # ERROR: Run answer is not JSON
  }
  assert {
    condition     = true
    error_message = "got ${self.answer}" # ERROR: Unsupported attribute
  }
  assert {
    condition = run.nope.output != "" # ERROR: Reference to undeclared run
  }
  assert {
    condition = each.key != "" # ERROR: Reference to "each" in context without for_each
  }
  assert {
    condition = template.t != null # ERROR: Invalid reference
  }
  assert {
    condition = strcontains(self.output, run.up.output)
  }
}

run "b" {
  template = template.t
  provider = provider.p
  vars     = { x = self.output } # ERROR: Invalid reference
}

run "c" {
  template = template.t
  provider = provider.p
  vars     = { x = "c" }
  format   = "text"

  assert {
    condition = self.json != null # ERROR: Run answer is not JSON
  }
}

run "d" {
  template = template.t
  provider = provider.p
  vars     = { x = "d" }

  assert {
    condition = run.e.output != "" # ERROR: Cycle between runs
  }
}

run "e" {
  template = template.t
  provider = provider.p
  vars     = { x = run.d.output }
}

judge "strict" {
  provider = provider.p
}

judge "nowhere" {
  provider = provider.gone # ERROR: Reference to undeclared provider
}

template "rubric" {
  text = "Grade ${output} by ${criteria} and ${tone}" # ERROR: Undefined template variable
}

judge "picky" {
  provider = provider.p
  template = template.rubric
}
