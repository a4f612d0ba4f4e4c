/** Everyday log chatter per service: INFO/DEBUG/WARN lines with varied ids, plus rare benign errors. */
import type { LogLevel } from '../model/telemetry.js';
import type { Rng } from './random.js';

type T = [number, LogLevel, (r: Rng) => string];

const uid = (r: Rng): string => `u-${r.int(100000, 999999)}`;
const oid = (r: Rng): string => `o-${r.int(1000000, 9999999)}`;
const sku = (r: Rng): string => `SKU-${r.int(10000, 99999)}`;
const cart = (r: Rng): string => `c-${r.id(8)}`;
const pay = (r: Rng): string => `p-${r.id(10)}`;
const eur = (r: Rng): string => r.float(4.9, 240).toFixed(2);
export const publicIp = (r: Rng): string =>
  `${r.pick(['203.0.113', '198.51.100', '192.0.2', '81.2.69', '62.31.12', '91.198.174'])}.${r.int(2, 254)}`;
export const internalIp = (r: Rng): string => `10.0.${r.int(1, 6)}.${r.int(2, 250)}`;
const QUERIES = ['running shoes', 'rain jacket', 'usb-c cable', 'espresso machine', 'yoga mat', 'winter boots', 'led lamp', 'backpack 30l', 'wool socks', 'phone case'];
const CARRIERS = ['dhl', 'ups', 'dpd', 'gls'];

export const CHATTER: Record<string, { rate: number; templates: T[] }> = {
  'user-service': { rate: 9, templates: [
    [5, 'INFO', (r) => `User ${uid(r)} logged in from ${publicIp(r)}`],
    [6, 'INFO', (r) => `Session s-${r.id(12)} validated for user ${uid(r)} in ${r.int(3, 40)} ms`],
    [4, 'DEBUG', (r) => `Cache hit for key user:${uid(r)}`],
    [2, 'INFO', (r) => `Profile updated for user ${uid(r)} (fields: ${r.pick(['address', 'phone', 'address,phone', 'newsletter'])})`],
    [1.2, 'WARN', (r) => `Login failed for user ${uid(r)} from ${publicIp(r)}: invalid password (attempt ${r.int(1, 4)}/5)`],
    [0.3, 'WARN', (r) => `Slow query on users by email: ${r.int(250, 900)} ms`],
    [0.15, 'ERROR', (r) => `Failed to send welcome email for user ${uid(r)}: SMTP 421 try again later`],
  ] },
  'auth-service': { rate: 6, templates: [
    [5, 'INFO', (r) => `issued access token client_id=${r.pick(['web-frontend', 'mobile-app', 'partner-api'])} scope="cart orders" ttl=900s sub=${uid(r)}`],
    [6, 'INFO', (r) => `token verified sub=${uid(r)} kid=k${r.int(1, 3)} took=${r.int(1, 9)}ms`],
    [1, 'DEBUG', (r) => `jwks cache refreshed keys=${r.int(2, 4)}`],
    [1.2, 'WARN', (r) => `rejected expired token sub=${uid(r)} expired_ago=${r.int(2, 600)}s`],
    [0.12, 'ERROR', () => 'rate-limit store unreachable: i/o timeout (failing open)'],
  ] },
  'catalog-service': { rate: 9, templates: [
    [6, 'INFO', (r) => `Fetched product ${sku(r)} in ${r.int(2, 30)} ms`],
    [4, 'DEBUG', (r) => `Cache miss for product:${sku(r)}, loading from database`],
    [0.4, 'INFO', (r) => `Price list refreshed: ${r.int(12000, 13500)} products`],
    [1, 'WARN', (r) => `Product ${sku(r)} has no image, using placeholder`],
    [0.12, 'ERROR', (r) => `Failed to parse attribute 'weight' for ${sku(r)}: NumberFormatException: For input string: "${r.int(1, 9)},${r.int(1, 99)}kg"`],
  ] },
  'search-service': { rate: 7, templates: [
    [6, 'INFO', (r) => `search q='${r.pick(QUERIES)}' hits=${r.int(0, 480)} took_ms=${r.int(12, 120)}`],
    [2, 'DEBUG', (r) => `query expanded: '${r.pick(QUERIES)}' -> ${r.int(2, 6)} terms`],
    [1, 'WARN', (r) => `query '${r.pick(QUERIES)} ${r.id(4)}' returned 0 results`],
    [0.3, 'INFO', (r) => `index segment merge finished in ${r.int(300, 1500)} ms`],
    [0.12, 'ERROR', () => 'spell-check model timed out, continuing without suggestions'],
  ] },
  'cart-service': { rate: 8, templates: [
    [6, 'INFO', (r) => `Added ${sku(r)} x${r.int(1, 3)} to cart ${cart(r)}`],
    [2, 'INFO', (r) => `Removed ${sku(r)} from cart ${cart(r)}`],
    [4, 'DEBUG', (r) => `Cart ${cart(r)} loaded from redis (${r.int(1, 9)} items)`],
    [1, 'WARN', (r) => `Invalid coupon code '${r.pick(['XMAS', 'BF', 'WELCOME', 'VIP'])}-${r.id(4).toUpperCase()}' for cart ${cart(r)}`],
    [1, 'INFO', (r) => `Cart ${cart(r)} merged after login of user ${uid(r)}`],
    [0.12, 'ERROR', (r) => `Failed to recalculate shipping estimate for cart ${cart(r)}: quote expired`],
  ] },
  'order-service': { rate: 7, templates: [
    [5, 'INFO', (r) => `Order ${oid(r)} created for user ${uid(r)} (${r.int(1, 6)} items, total ${eur(r)} EUR)`],
    [4, 'INFO', (r) => `Order ${oid(r)} confirmed, payment ${pay(r)} authorized`],
    [2, 'DEBUG', (r) => `Reserved stock for order ${oid(r)} (${r.int(1, 6)} lines)`],
    [1, 'WARN', (r) => `Order ${oid(r)} payment declined: ${r.pick(['insufficient funds', 'card expired', 'do not honor'])}`],
    [2, 'INFO', (r) => `Published OrderCreated event for ${oid(r)} to orders.created`],
    [0.12, 'ERROR', (r) => `Failed to render invoice PDF for order ${oid(r)}: font not found, retry scheduled`],
  ] },
  'payment-service': { rate: 7, templates: [
    [6, 'INFO', (r) => `Payment ${pay(r)} authorized: ${eur(r)} EUR (3ds=${r.pick(['frictionless', 'challenge'])})`],
    [1, 'INFO', (r) => `Payment ${pay(r)} declined by issuer: code ${r.pick([5, 51, 54, 61])}`],
    [3, 'DEBUG', (r) => `Tokenized card ****${r.int(1000, 9999)} for payment ${pay(r)}`],
    [0.6, 'INFO', (r) => `Refund r-${r.id(8)} processed for order ${oid(r)}`],
    [0.6, 'WARN', (r) => `3-D Secure challenge timed out for payment ${pay(r)}`],
  ] },
  'inventory-service': { rate: 5, templates: [
    [6, 'INFO', (r) => `reserved stock sku=${sku(r)} qty=${r.int(1, 4)} order=${oid(r)}`],
    [2, 'INFO', (r) => `released reservation res-${r.id(8)} reason=expired`],
    [3, 'DEBUG', (r) => `stock level sku=${sku(r)} available=${r.int(0, 900)}`],
    [1, 'WARN', (r) => `low stock sku=${sku(r)} available=${r.int(1, 5)}`],
  ] },
  'shipping-service': { rate: 5, templates: [
    [6, 'INFO', (r) => `quote computed carrier=${r.pick(CARRIERS)} zone=${r.pick(['DE-BE', 'DE-BY', 'FR-IDF', 'NL-NH', 'AT-W'])} price=${r.float(3.9, 12).toFixed(2)}EUR`],
    [3, 'INFO', (r) => `shipment shp-${r.int(100000, 999999)} created order=${oid(r)}`],
    [1, 'DEBUG', (r) => `carrier rate table cached carrier=${r.pick(CARRIERS)} rows=${r.int(300, 500)}`],
    [0.8, 'WARN', (r) => `address validation soft-failed order=${oid(r)} reason="postcode mismatch"`],
  ] },
  'notification-service': { rate: 5, templates: [
    [5, 'INFO', (r) => `Sent order confirmation email to customer ${uid(r)} (template=order_confirmed)`],
    [2, 'INFO', (r) => `Consumed ${r.int(20, 180)} messages from orders.created (partition ${r.int(0, 5)}, offset ${r.int(100000, 999999)})`],
    [2, 'DEBUG', (r) => `Rendered template ${r.pick(['order_confirmed', 'shipment_sent', 'password_reset'])} in ${r.int(4, 40)} ms`],
    [0.8, 'WARN', (r) => `Email to ${uid(r)} bounced: mailbox full`],
  ] },
  'recommendation-service': { rate: 6, templates: [
    [6, 'INFO', (r) => `recommendations served user=${uid(r)} n=12 model=als-v7 took_ms=${r.int(8, 90)}`],
    [3, 'DEBUG', (r) => `feature vector cache hit user=${uid(r)}`],
    [1, 'WARN', (r) => `cold-start user ${uid(r)}, falling back to bestsellers`],
    [0.2, 'INFO', (r) => `model als-v7 reloaded from s3://shop-models/recs/als-v7 (${r.int(120, 160)} MB)`],
    [0.15, 'ERROR', () => 'feature store read failed: deadline exceeded, serving stale vectors'],
  ] },
  'redis-cache': { rate: 0.6, templates: [
    [2, 'INFO', (r) => `${r.int(100, 10000)} changes in 300 seconds. Saving...`],
    [2, 'INFO', (r) => `Background saving started by pid ${r.int(2000, 9000)}`],
    [2, 'INFO', () => 'Background saving terminated with success'],
    [1, 'INFO', (r) => `Accepted ${internalIp(r)}:${r.int(30000, 60000)}`],
  ] },
  'postgres-main': { rate: 3, templates: [
    [2, 'INFO', () => 'checkpoint starting: time'],
    [2, 'INFO', (r) => `checkpoint complete: wrote ${r.int(400, 4000)} buffers (${r.float(1, 20).toFixed(1)}%); 0 WAL file(s) added, 0 removed, ${r.int(1, 4)} recycled; write=${r.float(20, 200).toFixed(3)} s, sync=${r.float(0, 1).toFixed(3)} s, total=${r.float(20, 201).toFixed(3)} s`],
    [2, 'INFO', (r) => `automatic vacuum of table "shop.public.${r.pick(['orders', 'carts', 'sessions', 'stock', 'payments'])}": index scans: 1`],
    [3, 'INFO', (r) => `connection authorized: user=shop_app database=shop application_name=${r.pick(['user-service', 'catalog-service', 'order-service', 'payment-service'])}`],
    [0.6, 'INFO', (r) => `duration: ${r.float(1000, 1900).toFixed(3)} ms  statement: SELECT p.*, s.qty FROM products p LEFT JOIN stock s ON s.product_id = p.id WHERE p.category_id = $1`],
    [0.3, 'WARN', () => 'there is already a transaction in progress'],
    [0.1, 'ERROR', (r) => `duplicate key value violates unique constraint "carts_pkey" (cart ${cart(r)})`],
  ] },
  kafka: { rate: 2, templates: [
    [3, 'INFO', (r) => `[Log partition=orders.created-${r.int(0, 5)}, dir=/var/lib/kafka/data] Rolled new log segment at offset ${r.int(1000000, 9999999)} in ${r.int(1, 9)} ms.`],
    [1, 'INFO', (r) => `[GroupCoordinator 1]: Stabilized group notifications generation ${r.int(100, 400)} (__consumer_offsets-${r.int(0, 49)}) with 3 members`],
    [1, 'INFO', () => '[Controller id=1] Processing automatic preferred replica leader election'],
  ] },
};
