# The arena: one support prompt tested across 3 scenarios x 2 providers x 2
# regions, 3 samples each, with conditions, a pass rate, a warning and an
# LLM judge. It runs offline: the providers are mocks, and the mock
# "critic" plays the judge. One assertion fails on purpose (the careful
# provider refuses to cancel an order), so that the reports have a failure
# to show:
#
#   promptbuild test -o report.html -o report.xml -o report.json -o report.md
#
# The second run makes no call: every answer and every verdict is cached.

provider "fast" {
  type    = "mock"
  model   = "mock-fast"
  latency = "20ms"
  responses = {
    # The support conversation: the tool calls, then answers to what the
    # tool and the customer said.
    "order A1\\?$"           = "{\"tool_calls\": [{\"name\": \"lookup_order\", \"arguments\": {\"id\": \"A1\"}}]}"
    "order ZZ9\\?$"          = "{\"tool_calls\": [{\"name\": \"lookup_order\", \"arguments\": {\"id\": \"ZZ9\"}}]}"
    "\"status\":\"shipped\"" = "Your order has shipped; it arrives tomorrow."
    "no such order"          = "I cannot find that order; could you check its number?"
    "get a refund"           = "I can start a refund once the parcel is back with us."
    "money now"              = "I understand. I have escalated your case: a manager will call you today."
  }
}

provider "careful" {
  type    = "mock"
  model   = "mock-careful"
  latency = "40ms"
  responses = {
    "(?s)cancel my order" = "As an AI, I cannot cancel orders. Please write to support."
  }
}

provider "critic" {
  type  = "mock"
  model = "mock-judge"
  responses = {
    "(?s)Answer to grade:.*As an AI" = "{\"pass\": false, \"score\": 0.2, \"reason\": \"refuses instead of helping\"}"
    "(?s)Answer to grade:"           = "{\"pass\": true, \"score\": 0.85, \"reason\": \"answers the question\"}"
  }
}

provider "customer" {
  type  = "mock"
  model = "mock-customer"
  responses = {
    "escalated" = "Fine, I will wait for the call. ###STOP###"
    "."         = "That is too slow. I want my money now!"
  }
}

judge "strict" {
  provider = provider.critic
}

input "scenarios" {
  value = {
    refund = "My parcel arrived broken."
    late   = "Where is my order?"
    cancel = "Can I cancel my order?"
  }
}

template "support" {
  system = "You are the support desk of Acme. Reply in the language of region ${region}, in at most three sentences."
  text   = "Customer: ${question}"
}

run "answer" {
  for_each = { for c in setproduct(keys(input.scenarios), ["fast", "careful"], ["en", "fr"]) :
  "${c[0]}/${c[1]}/${c[2]}" => { scenario = c[0], provider = c[1], region = c[2] } }
  provider = provider[each.value.provider]
  template = template.support
  vars     = { question = input.scenarios[each.value.scenario], region = each.value.region }
  output   = "out/${each.key}.txt"
  samples  = 3

  assert {
    condition     = length(self.output) < 400 && !strcontains(lower(self.output), "as an ai")
    error_message = "too long or off-voice: ${self.output}"
    pass_rate     = 0.6
  }
  assert {
    condition = self.finish_reason == "stop" && (self.latency_ms == null || self.latency_ms < 8000)
    severity  = "warning"
  }
  assert {
    judge     = judge.strict
    criteria  = "Answers the customer's question; invents no policy."
    threshold = 0.7
  }
}

# A support conversation per order: two scripted turns, a tool the model
# calls, then a simulated customer (another model, with a persona) who
# pushes until satisfied. Each turn is cached by the transcript that leads
# to it: edit the second turn and only what follows it is asked again.

tool "lookup_order" {
  description = "Find an order by its id."
  parameters = {
    type = "object", required = ["id"], properties = { id = { type = "string" } }
  }
  result = args.id == "A1" ? { status = "shipped", eta = "tomorrow" } : { error = "no such order" }
}

template "agent" {
  text = "You are the support desk of ${store}. Look an order up before promising anything."
}

template "persona" {
  text = "You are an impatient customer whose order ${order} is late. Push for a refund. Say ###STOP### when satisfied."
}

conversation "support" {
  for_each        = { a1 = "A1", zz = "ZZ9" }
  provider        = provider.fast
  system          = template.agent
  vars            = { store = "Acme" }
  tools           = [tool.lookup_order]
  max_tool_rounds = 3

  turn {
    user = "Hi, where is my order ${each.value}?"
    assert {
      condition = contains([for c in self.tool_calls : c.name], "lookup_order")
    }
  }
  turn {
    user = "Can I get a refund?"
  }
  simulated_user {
    provider = provider.customer
    persona  = template.persona
    vars     = { order = each.value }
    turns    = 3
    stop     = "###STOP###"
  }

  assert {
    condition = alltrue([for t in self.turns : !strcontains(lower(t.output), "refund issued")])
  }
  assert {
    judge    = judge.strict
    criteria = "Polite; looks the order up before promising anything."
  }
  output = "out/support/${each.key}.md"
}
