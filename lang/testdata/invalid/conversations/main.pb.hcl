provider "p" {
  type = "mock"
}

template "agent" {
  text = "You are ${store}'s agent."
}

template "persona" {
  text = "You want order ${order}." # ERROR: Undefined template variable
}

tool "lookup" {
  parameters = { type = "string" } # ERROR: Invalid tool parameters
  result     = input.orders[args.id] # ERROR: Invalid reference in a tool result
}

tool "now" {
  result = var.missing # ERROR: Reference to undeclared variable
}

conversation "empty" { # ERROR: Empty conversation
  provider = provider.p
  system   = template.agent
  vars     = { store = "Acme" }
}

conversation "support" {
  provider        = provider.p
  system          = "You are an agent." # ERROR: Invalid system prompt
  tools           = [tool.lookup, tool.lookup, tool.refund, "now"] # ERROR: Duplicate tool # ERROR: Reference to undeclared tool # ERROR: Invalid tool reference
  max_tool_rounds = 0 # ERROR: Invalid value

  simulated_user {
    provider = provider.p
    persona  = template.persona
    turns    = 3
    stop     = " " # ERROR: Invalid stop word
  }
  turn { # ERROR: Turn after the simulated user
    user = "Hi ${run.nothing.output}" # ERROR: Reference to undeclared run
    assert {
      condition = self.transcript != "" # ERROR: Unsupported attribute
    }
  }
  simulated_user { # ERROR: Duplicate simulated_user block
    provider = provider.p
    persona  = template.persona
    turns    = 1
  }
  assert {
    condition = length(self.tool_calls) > 0 # ERROR: Unsupported attribute
  }
}

run "reader" {
  template = template.agent
  provider = provider.p
  vars     = { store = conversation.support.json } # ERROR: Unsupported attribute
}

run "wrong_root" {
  template = template.agent
  provider = provider.p
  vars     = { store = run.support.output } # ERROR: Invalid reference
}
