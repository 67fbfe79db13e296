/** The bench counts capacity units by the same item sizes the customer store lays its state out by. */
export { dynamoItemSize, numberSize, utf8, valueSize } from '../lambdas/adapters/dynamo-item-size.js';
