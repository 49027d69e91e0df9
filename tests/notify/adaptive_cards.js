// Parse Adaptive Cards with Microsoft's own library (npm `adaptivecards`), as Teams' renderer
// does: stdin is a JSON array of cards; stdout a JSON array of each card's parse and
// validation messages (empty: the library accepts the card as written).
const path = process.argv[2];
const AC = require(path);
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((json) => {
    const card = new AC.AdaptiveCard();
    const context = new AC.SerializationContext();
    card.parse(json, context);
    const messages = [];
    for (let i = 0; i < context.eventCount; i++) messages.push(context.getEventAt(i).message);
    for (const event of card.validateProperties().validationEvents) messages.push(event.message);
    return messages;
  });
  process.stdout.write(JSON.stringify(results));
});
